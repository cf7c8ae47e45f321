import config from './config'

export function postJSON(path, body) {
  wx.request({ url: config.baseUrl + path, method: 'POST', data: JSON.stringify(body) })
}
