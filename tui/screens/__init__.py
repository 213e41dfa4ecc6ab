"""One module per screen; each is registered by name in `tui.app.SCREENS_BY_NAME`."""
