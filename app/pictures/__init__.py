"""Pictures of chains as rich renderables (no Textual): the timeline, progress bars, sparklines.

They read only the read model (app.views) and app.model, so `longrun report` prints them and the
dashboard's widgets put them in panes; tests/unit/test_import_hygiene.py holds them to that.
"""
