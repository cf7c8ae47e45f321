setTimeout("refresh()", 1000)
setInterval('tick' + '()', 500)
