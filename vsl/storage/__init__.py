"""Where media files live: a local folder (default) or an S3 bucket, behind one protocol."""
