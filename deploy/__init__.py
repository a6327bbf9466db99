"""Deployment: nginx and systemd files (deploy/nginx, deploy/systemd) and the one-machine
cluster that runs them (deploy/cluster.py, `scripts/cluster`)."""
