"""竞价拍卖: online auctions of achievements."""
