"""The domain package: every rule of the release and issue flows lives here, once."""
