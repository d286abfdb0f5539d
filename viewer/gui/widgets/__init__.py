"""The app's widgets: pure views with setters and signals; none calls the engine or reads another widget."""
