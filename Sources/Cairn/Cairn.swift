// The embedded API: Client → database → Collection, with Chroma's semantics.
