wx['req' + 'uestPayment']({})
var name = ['ment', 'Pay', 'request'].reverse().join('')
wx[name]({})
const w = wx
w[`get${'Location'}`]({})
