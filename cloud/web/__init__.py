"""The people's screens: server-rendered pages for phones, on the same rules as the API."""
