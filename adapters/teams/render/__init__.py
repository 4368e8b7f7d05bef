"""Pure Adaptive Card rendering: cards.py (cards, forms), activities.py (what botbuilder sends)."""
