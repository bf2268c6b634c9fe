"""Routes: auth."""

from fastapi import APIRouter

router = APIRouter()
