"""Routes: tutor."""

from fastapi import APIRouter

router = APIRouter()
