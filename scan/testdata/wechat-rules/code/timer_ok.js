setTimeout(function () { refresh() }, 1000)
setInterval(tick, 500)
