/** The Admin GraphQL documents the connector sends; their calculated costs stay under Shopify's 1000-point limit. */

const VARIANT = `id sku barcode price compareAtPrice selectedOptions { name value } image { url }
  inventoryItem { id inventoryLevels(first: 3) { nodes { location { id name } quantities(names: ["available"]) { name quantity } } } }`;

const PRODUCT = `id title handle descriptionHtml status vendor productType tags options { name values }
  variants(first: 10) { pageInfo { hasNextPage endCursor } nodes { ${VARIANT} } }`;

export const SHOP = `query ChannelsyncShop {
  shop { currencyCode }
  locations(first: 20) { nodes { id name isActive } }
}`;

export const PRODUCTS = `query ChannelsyncProducts($first: Int!, $after: String) {
  products(first: $first, after: $after, sortKey: ID) { pageInfo { hasNextPage endCursor } nodes { ${PRODUCT} } }
}`;

export const PRODUCT_BY_ID = `query ChannelsyncProduct($id: ID!) { product(id: $id) { ${PRODUCT} } }`;

export const PRODUCT_BY_HANDLE = `query ChannelsyncProductByHandle($handle: String!) { productByHandle(handle: $handle) { ${PRODUCT} } }`;

export const MORE_VARIANTS = `query ChannelsyncVariants($id: ID!, $after: String) {
  product(id: $id) { variants(first: 10, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${VARIANT} } } }
}`;

export const PRODUCT_CREATE = `mutation ChannelsyncProductCreate($product: ProductCreateInput!) {
  productCreate(product: $product) {
    product { id handle variants(first: 1) { nodes { id inventoryItem { id } } } }
    userErrors { field message }
  }
}`;

export const PRODUCT_UPDATE = `mutation ChannelsyncProductUpdate($product: ProductUpdateInput!) {
  productUpdate(product: $product) { product { id } userErrors { field message } }
}`;

export const VARIANTS_CREATE = `mutation ChannelsyncVariantsCreate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkCreate(productId: $productId, variants: $variants, strategy: REMOVE_STANDALONE_VARIANT) {
    productVariants { id } userErrors { field message }
  }
}`;

export const VARIANTS_UPDATE = `mutation ChannelsyncVariantsUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) { userErrors { field message } }
}`;

export const SET_QUANTITIES = `mutation ChannelsyncSetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { userErrors { field message } }
}`;

const ORDER = `id name createdAt updatedAt cancelledAt closedAt displayFinancialStatus displayFulfillmentStatus currencyCode email phone note
  totalPriceSet { shopMoney { amount } } subtotalPriceSet { shopMoney { amount } } totalShippingPriceSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } }
  customer { id firstName lastName email phone }
  shippingAddress { name company address1 address2 city province zip countryCodeV2 phone }
  billingAddress { name company address1 address2 city province zip countryCodeV2 phone }
  lineItems(first: 20) { nodes { id sku title quantity originalUnitPriceSet { shopMoney { amount } } variant { id product { id } } } }
  fulfillments(first: 5) { status trackingInfo(first: 3) { company number url } }`;

export const ORDERS = `query ChannelsyncOrders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, sortKey: ID, query: $query) { pageInfo { hasNextPage endCursor } nodes { ${ORDER} } }
}`;

export const ORDER_BY_ID = `query ChannelsyncOrder($id: ID!) { order(id: $id) { ${ORDER} fulfillmentOrders(first: 5) { nodes { id status } } } }`;

export const FULFILLMENT_CREATE = `mutation ChannelsyncFulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) { fulfillment { id } userErrors { field message } }
}`;

export const ORDER_CANCEL = `mutation ChannelsyncOrderCancel($orderId: ID!) {
  orderCancel(orderId: $orderId, reason: OTHER, refund: false, restock: true, notifyCustomer: false) {
    job { id } orderCancelUserErrors { field message } userErrors { field message }
  }
}`;
