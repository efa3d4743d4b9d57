"""Custom layers (MinibatchStdDev, TextImageAttention, FadeIn, ...) come here."""
