"""众创空间: equipment, studios, trainings and certifications, the OctoPrint 3D-print queue and
studio recording jobs (issue 8)."""
