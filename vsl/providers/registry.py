"""Which provider renders a model, built from the settings, and what it will charge.

Routing: `local-preview` always renders locally. Paid models go to the VSL Lambda API when `LAMBDA_API_URL` is set,
else to Replicate when `REPLICATE_API_TOKEN` is set, else to the local renderer as a free stand-in preview (the
board says so), so a fresh install can walk the whole journey without spending anything.
"""

from __future__ import annotations

from decimal import Decimal

from vsl.catalog import generation_cost, get_catalog
from vsl.config import Settings
from vsl.money import ZERO
from vsl.providers.base import Provider, ProviderValidationError
from vsl.providers.lambda_api import LambdaApiProvider
from vsl.providers.local_preview import LocalPreviewProvider
from vsl.providers.replicate import ReplicateProvider

PROVIDER_LABELS = {"lambda": "VSL Lambda API", "replicate": "Replicate", "local": "local preview renderer"}


def _not_configured(message: str) -> ProviderValidationError:
    return ProviderValidationError(message, provider="replicate", stage="submit")


class ProviderRegistry:
    """Builds each configured provider once and routes models to them."""

    def __init__(self, settings: Settings, providers: dict[str, Provider] | None = None) -> None:
        self.settings = settings
        self._providers: dict[str, Provider] = dict(providers or {})

    def route(self, model_id: str) -> str:
        if get_catalog().get(model_id).provider == "local":
            return "local"
        if self.settings.lambda_api_url:
            return "lambda"
        if self.settings.replicate_api_token:
            return "replicate"
        return "local"

    def get(self, name: str) -> Provider:
        if name not in self._providers:
            self._providers[name] = self._build(name)
        return self._providers[name]

    def estimate(self, model_id: str, params: dict) -> Decimal:
        """What submitting this take will reserve: the catalog price, or $0 when rendered locally."""
        return ZERO if self.route(model_id) == "local" else generation_cost(model_id, params)

    def is_stand_in(self, model_id: str) -> bool:
        """True when a paid model is rendered by the local preview because no provider is configured."""
        return self.route(model_id) == "local" and get_catalog().get(model_id).provider != "local"

    def replicate_ref(self, model_id: str) -> tuple[str, str | None]:
        """Replicate's "owner/name" and version of a model; SVD's version comes from REPLICATE_SVD_VERSION."""
        spec = get_catalog().get(model_id)
        if not spec.replicate_model:
            raise _not_configured(f"{spec.display_name} has no Replicate model configured.")
        version = spec.replicate_version
        if model_id == "stable-video-diffusion":
            version = self.settings.replicate_svd_version or version
            if not version:
                raise _not_configured("Stable Video Diffusion needs REPLICATE_SVD_VERSION, its Replicate version.")
        return spec.replicate_model, version

    def _build(self, name: str) -> Provider:
        s = self.settings
        if name == "lambda":
            return LambdaApiProvider(s.lambda_api_url, s.lambda_api_key)
        if name == "replicate":
            return ReplicateProvider(s.replicate_api_token, base_url=s.replicate_base_url, model_ref=self.replicate_ref)
        if name == "local":
            return LocalPreviewProvider(s.media_dir.parent / "renders", max_workers=2)
        raise ValueError(f"Unknown provider {name!r}.")

    def close(self) -> None:
        for provider in self._providers.values():
            close = getattr(provider, "close", None)
            if close:
                close()
