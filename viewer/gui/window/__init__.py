"""The main window: its composition and the wiring that binds the widgets to the state.

``main_window`` composes the window (menus from ``menus``, the model bar, thumbnails, image panel, six tabs,
banner, status bar); ``analysis_links``, ``compare_links`` and ``recipe_links`` connect the state's signals to the
tabs' views and the views' requests to the state; ``tab_exports`` is each tab's Export…; ``drops`` and
``mime_paths`` read what is dropped or pasted; ``help_texts`` the Help menu's texts. May import ``viewer.core``,
the state, the job runner's vocabulary, the widgets and the application's settings and error sink; never the
engine or torch.
"""
