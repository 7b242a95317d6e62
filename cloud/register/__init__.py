"""The asset register: classes as rows, equipment records, spreadsheets and lifecycle cost."""
