var a=function(b,c){return b+c},d=[1,2,3].map(function(e){return a(e,1)});module.exports={a:a,d:d};
