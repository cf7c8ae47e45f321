const api = require('../../utils/api')
const app = getApp()

Page({
  data: { lat: 0, lng: 0, markers: [] },
  async onLoad() {
    const loc = await wx.getLocation({ type: 'gcj02' })
    this.setData({ lat: loc.latitude, lng: loc.longitude })
    const pois = await api.nearby(loc.latitude, loc.longitude)
    this.setData({ markers: pois.map((p) => ({ id: p.id, latitude: p.lat, longitude: p.lng })) })
  },
  startTracking() {
    api.openTracker()
    wx.startLocationUpdate({
      success: () => {
        wx.onLocationChange((point) => {
          api.sendTrack({ lat: point.latitude, lng: point.longitude, t: Date.now() })
        })
      }
    })
  },
  takeTaxi() {
    wx.chooseLocation({
      success: (place) => {
        app.globalData.lastPlace = place
        wx.navigateToMiniProgram({
          appId: 'wx00000000000taxi1',
          path: 'pages/order/index',
          extraData: { to: place.address, lat: place.latitude, lng: place.longitude }
        })
      }
    })
  }
})
