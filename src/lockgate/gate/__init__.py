"""Gating runs on a verified environment: ``lockgate run``, the argparse harness API, and the
same gate on every rank of an MPI job."""
