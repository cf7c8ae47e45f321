const BASE = 'https://map.example.cn'

function nearby(lat, lng) {
  return new Promise((resolve) => {
    wx.request({
      url: `${BASE}/poi/nearby`,
      data: { lat, lng, radius: 1000 },
      success: (r) => resolve(r.data)
    })
  })
}

function openTracker() {
  wx.connectSocket({ url: 'wss://track.example.cn/ws' })
}

function sendTrack(point) {
  wx.sendSocketMessage({ data: JSON.stringify(point) })
}

module.exports = { nearby, openTracker, sendTrack }
