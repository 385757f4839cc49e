"""Relogement: urban-renewal operations, their buildings, households to rehouse, proposals,
moves and outcomes, missions given to outside providers, and the operation's progress."""
