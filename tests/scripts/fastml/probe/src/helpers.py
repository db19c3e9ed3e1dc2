"""Describes a value handed to infer, file objects included."""


def describe(value):
    if isinstance(value, list):
        return [describe(item) for item in value]
    if hasattr(value, "read") and hasattr(value, "filename"):
        position = value.tell()
        first_line = value.readline()
        value.seek(0)
        content = value.read()
        value.seek(0)
        lines = list(value)
        return {
            "type": "file",
            "filename": value.filename,
            "name": value.name,
            "content_type": value.content_type,
            "position": position,
            "first_line": first_line.decode("latin-1"),
            "content": content.decode("latin-1"),
            "lines": len(lines),
            "has_save": callable(getattr(value, "save", None)),
            "has_stream": hasattr(value, "stream"),
        }
    return type(value).__name__
