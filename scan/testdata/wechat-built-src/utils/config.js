// Endpoints of the tea house's own server.
const baseUrl = 'https://api.teahouse.example.com'

module.exports = {
  baseUrl,
  shopId: 'sh-001',
  // left in by mistake: the payment signing key
  appSecret: 'e3b0c44298fc1c149afbf4c8996fb924'
}
