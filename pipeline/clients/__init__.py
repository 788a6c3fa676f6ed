"""Which mail clients support what the email uses: caniemail data (vendored) and the lint on top."""
