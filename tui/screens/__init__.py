"""One module per screen; each is registered by name in `tui.app.SCREENS_BY_NAME`.

Adding a screen (stats, demos, ...):

1. `tui/screens/<name>.py` with a `Screen` subclass whose constructor takes only
   keyword arguments, and `CSS_PATH = "<name>.tcss"` next to it (theme variables
   only, so every Textual theme applies).
2. One line in `SCREENS_BY_NAME`: `"<name>": "tui.screens.<name>:<Class>"`; the
   module is imported the first time the screen opens (start-up stays light).
   Add the name to `NEEDS_DATA` if it needs `app.course` / `app.db` at once.
3. Open it with `app.open("<name>", **kwargs)` or a binding to `app.open('<name>')`;
   add a `PaletteEntry` to `PALETTE` for the command palette, and screen-only
   commands as `COMMANDS_HERE = [(title, help, action)]` on the screen class.
   The help screen lists its BINDINGS (use `tooltip=` for a longer description);
   add the name to `tui.screens.help.GROUPS` to give it a heading there.

What a screen can use on `self.app` (a `tui.app.TutorApp`): `course`, `db`,
`data_ready` (asyncio.Event), `open_lesson(lesson_id, section_id)`,
`open_chat(question)`, `refresh_summary()` (after writing reviews),
`await get_answerer()` (the facade, once its model is loaded in a worker), and
`record_place(lesson_id, section_id)`. Slow work goes in a worker (`@work`); any
course or user text goes into `Content`/`Text` or a widget with markup=False.
"""
