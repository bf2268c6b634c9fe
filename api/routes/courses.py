"""Routes: courses."""

from fastapi import APIRouter

router = APIRouter()
