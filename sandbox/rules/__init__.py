"""The rules behind the API: PINs, keychains and virtual keys, door access, events."""
