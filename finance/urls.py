from django.urls import path

from finance import api

# Under /api/v1/ (config/urls.py).
api_urlpatterns = [
    path("finance/receipts/", api.ReceiptListApi.as_view(), name="finance-receipts"),
    path("finance/gift-aid/claims/", api.GiftAidClaimApi.as_view(), name="finance-gift-aid-claims"),
]

# Under /finance/.
app_name = "finance"
urlpatterns = [
    path("exports/receipts.csv", api.ReceiptsCsvExport.as_view(), name="receipts-csv"),
    path("exports/receipts.xlsx", api.ReceiptsXlsxExport.as_view(), name="receipts-xlsx"),
    path("exports/gift-aid.csv", api.GiftAidCsvExport.as_view(), name="gift-aid-csv"),
    path("exports/gift-aid-adjustments.csv", api.GiftAidAdjustmentsCsvExport.as_view(),
         name="gift-aid-adjustments-csv"),
]
