"""The Textual app for tutor. `tui` imports `tutor`; `tutor` never imports `tui`."""
