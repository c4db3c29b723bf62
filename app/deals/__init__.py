"""对接项目 (deals): the pipeline 意向 → 洽谈 → 签约 → 登记 → 完成, or 终止, with an activity log."""
