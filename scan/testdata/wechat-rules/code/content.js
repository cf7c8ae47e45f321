const banner = '正规网贷，极速放款，无抵押贷款'
const note = 'Guaranteed returns on crypto trading'
