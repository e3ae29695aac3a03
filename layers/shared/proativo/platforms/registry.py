"""Every platform Proativo speaks, by name: adding a platform is one module beside this one and one entry here."""

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
