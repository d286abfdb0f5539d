"""Small parts every view uses: elided labels, a fitted picture, PNG writing, pyqtgraph's set-up, the job
status line, an export's message, the window's fit on the screen, and "draw when shown" (``turns``).

They may import ``viewer.core`` and each other, nothing else of the GUI.
"""
