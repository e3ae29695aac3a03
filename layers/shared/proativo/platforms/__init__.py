"""Platform adapters: each verifies its platform's signature and maps its payloads to canonical events.

Adding a platform is one module here and one entry in PLATFORMS.
"""

from proativo.platforms.base import Platform
from proativo.platforms.generic import GenericPlatform
from proativo.platforms.nuvemshop import NuvemshopPlatform
from proativo.platforms.shopify import ShopifyPlatform
from proativo.platforms.vtex import VtexPlatform
from proativo.platforms.woocommerce import WooCommercePlatform

PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (GenericPlatform(), ShopifyPlatform(), WooCommercePlatform(), NuvemshopPlatform(), VtexPlatform())
}

__all__ = ["PLATFORMS", "Platform"]
