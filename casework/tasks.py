"""Periodic housekeeping of the casework app."""

from celery import shared_task

from casework.services.idempotency import idempotency_purge_expired
from casework.services.review import cases_expire_stale_claims


@shared_task
def expire_stale_claims():
    return cases_expire_stale_claims()


@shared_task
def purge_expired_idempotency_keys():
    return idempotency_purge_expired()
