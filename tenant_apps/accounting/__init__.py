"""Fund accounting (FASB ASC 958): the chart of accounts and funds of one organization."""
