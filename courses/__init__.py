"""全民自主学习平台: learning paths, digital-literacy courses, H5P activities, progress, learning
records, subscriptions, badges and certificates (issues 5 and 6)."""
