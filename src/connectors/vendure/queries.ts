/** The Admin API documents the connector sends (Vendure 3). Kept together so the whole surface is visible at once. */

const PRODUCT_FIELDS = `
  id name slug description enabled updatedAt
  facetValues { id code name facet { id code name } }
  featuredAsset { preview }
  optionGroups { id code name options { id code name } }
  variants {
    id sku name enabled price currencyCode
    prices { currencyCode price }
    stockLevels { stockLocationId stockOnHand stockAllocated }
    options { id code name groupId }
    featuredAsset { preview }
  }`;

export const SHOP_CONTEXT = `query ChannelsyncContext {
  activeChannel { id code defaultCurrencyCode availableCurrencyCodes pricesIncludeTax defaultLanguageCode }
  stockLocations(options: { take: 100, sort: { id: ASC } }) { items { id name } }
}`;

export const PRODUCTS = `query ChannelsyncProducts($take: Int!, $skip: Int!) {
  products(options: { take: $take, skip: $skip, sort: { id: ASC } }) {
    totalItems
    items { ${PRODUCT_FIELDS} }
  }
}`;

export const PRODUCT_BY_ID = `query ChannelsyncProduct($id: ID!) {
  product(id: $id) { ${PRODUCT_FIELDS} }
}`;

export const PRODUCT_BY_SLUG = `query ChannelsyncProductBySlug($slug: String!) {
  product(slug: $slug) { ${PRODUCT_FIELDS} }
}`;

export const CREATE_PRODUCT = `mutation ChannelsyncCreateProduct($input: CreateProductInput!) {
  createProduct(input: $input) { id slug }
}`;

export const UPDATE_PRODUCT = `mutation ChannelsyncUpdateProduct($input: UpdateProductInput!) {
  updateProduct(input: $input) { id }
}`;

export const CREATE_VARIANTS = `mutation ChannelsyncCreateVariants($input: [CreateProductVariantInput!]!) {
  createProductVariants(input: $input) { id sku }
}`;

export const UPDATE_VARIANTS = `mutation ChannelsyncUpdateVariants($input: [UpdateProductVariantInput!]!) {
  updateProductVariants(input: $input) { id }
}`;

export const CREATE_OPTION_GROUP = `mutation ChannelsyncCreateOptionGroup($input: CreateProductOptionGroupInput!) {
  createProductOptionGroup(input: $input) { id code name options { id code name } }
}`;

export const ADD_OPTION_GROUP = `mutation ChannelsyncAddOptionGroup($productId: ID!, $optionGroupId: ID!) {
  addOptionGroupToProduct(productId: $productId, optionGroupId: $optionGroupId) { id }
}`;

export const CREATE_OPTION = `mutation ChannelsyncCreateOption($input: CreateProductOptionInput!) {
  createProductOption(input: $input) { id code name }
}`;

export const FACETS = `query ChannelsyncFacets($codes: [String!]!) {
  facets(options: { take: 100, filter: { code: { in: $codes } } }) {
    items { id code name values { id code name } }
  }
}`;

export const CREATE_FACET = `mutation ChannelsyncCreateFacet($input: CreateFacetInput!) {
  createFacet(input: $input) { id code name values { id code name } }
}`;

export const CREATE_FACET_VALUES = `mutation ChannelsyncCreateFacetValues($input: [CreateFacetValueInput!]!) {
  createFacetValues(input: $input) { id code name }
}`;

const ORDER_FIELDS = `
  id code state active orderPlacedAt createdAt updatedAt currencyCode
  subTotalWithTax shippingWithTax total totalWithTax
  customer { id firstName lastName emailAddress phoneNumber }
  shippingAddress { fullName company streetLine1 streetLine2 city province postalCode countryCode phoneNumber }
  billingAddress { fullName company streetLine1 streetLine2 city province postalCode countryCode phoneNumber }
  lines { id quantity unitPriceWithTax productVariant { id sku name productId } }
  fulfillments { id state method trackingCode createdAt lines { orderLineId quantity } }`;

export const ORDERS = `query ChannelsyncOrders($take: Int!, $skip: Int!, $filter: OrderFilterParameter!) {
  orders(options: { take: $take, skip: $skip, sort: { id: ASC }, filter: $filter }) {
    totalItems
    items { ${ORDER_FIELDS} }
  }
}`;

export const ORDER_BY_ID = `query ChannelsyncOrder($id: ID!) {
  order(id: $id) { ${ORDER_FIELDS} }
}`;

export const ADD_FULFILLMENT = `mutation ChannelsyncAddFulfillment($input: FulfillOrderInput!) {
  addFulfillmentToOrder(input: $input) {
    __typename
    ... on Fulfillment { id state }
    ... on ErrorResult { errorCode message }
  }
}`;

export const TRANSITION_FULFILLMENT = `mutation ChannelsyncTransitionFulfillment($id: ID!, $state: String!) {
  transitionFulfillmentToState(id: $id, state: $state) {
    __typename
    ... on Fulfillment { id state }
    ... on ErrorResult { errorCode message }
  }
}`;

export const CANCEL_ORDER = `mutation ChannelsyncCancelOrder($input: CancelOrderInput!) {
  cancelOrder(input: $input) {
    __typename
    ... on Order { id state }
    ... on ErrorResult { errorCode message }
  }
}`;
