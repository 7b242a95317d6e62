"""People: users, sign-in sessions, action links, and who may see and do what."""
