import { postJSON } from '../../utils/esm'
import http from '../../utils/http'

Page({
  onLoad() {
    wx.chooseInvoiceTitle({
      success: (invoice) => postJSON('/invoice', { title: invoice.title, taxNumber: invoice.taxNumber })
    })
    wx.getBluetoothDevices({
      success: ({ devices }) => http.post('/devices', devices.map((d) => d.deviceId))
    })
  }
})
