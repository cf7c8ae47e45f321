const host = 'https://api.shop.example.com'

module.exports = {
  baseUrl: host,
  timeout: 8000
}
