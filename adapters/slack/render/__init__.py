"""Pure Block Kit rendering: views.py (modals, card messages) on blocks.py (text objects, limits)."""
