module.exports = {
  BASE_URL: 'https://api.teashop.example.com/v2',
  PAGE_SIZE: 20
}
