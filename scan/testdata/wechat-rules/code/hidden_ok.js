wx['request']({ url: 'https://api.example.com/v1/ping' })
