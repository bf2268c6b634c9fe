"""Routes: hub."""

from fastapi import APIRouter

router = APIRouter()
