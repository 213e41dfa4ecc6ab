"""Cards: the domain objects (`model`), generation from lessons (`generate`), distractors
for generated multiple-choice cards (`distractors`), syncing rows with a course (`sync`)
and moving decks in and out (`exchange`: CSV and Anki)."""
