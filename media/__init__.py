"""Shared media machinery: object storage (MinIO through the minio SDK, or local disk), stored
file records, and delivery of files after a permission check with HTTP Range support."""
