"""Audio and data: readers, the embedded corpus, mixing, features, real recordings (no TFX)."""
